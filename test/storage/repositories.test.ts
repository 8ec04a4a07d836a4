import { TEST_DIALECT } from '../support/dialect';
import { openTestStorage } from '../support/storage';
import { describeApiTokenContract } from './api-token-contract';
import { describeRepositoryContract } from './repository-contract';
import { describeOneTimeTokenContract } from './one-time-token-contract';

// The contract runs on the adapter of the pass (npm test runs a SQLite pass and a PostgreSQL
// pass); each test gets a fresh database (PostgreSQL: a database of its own on a real server).
describeRepositoryContract(TEST_DIALECT === 'postgres' ? 'PostgreSQL' : 'SQLite (:memory:)', () => openTestStorage());
describeApiTokenContract(TEST_DIALECT === 'postgres' ? 'PostgreSQL' : 'SQLite (:memory:)', () => openTestStorage());
describeOneTimeTokenContract(TEST_DIALECT === 'postgres' ? 'PostgreSQL' : 'SQLite (:memory:)', () => openTestStorage());
