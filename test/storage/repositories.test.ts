import { openTestPostgresStorage } from '../support/postgres';
import { openTestStorage } from '../support/storage';
import { describeRepositoryContract } from './repository-contract';

// One line per adapter; each test gets a fresh database (PostgreSQL: a database of its own on a real server).
describeRepositoryContract('SQLite (:memory:)', () => openTestStorage());
describeRepositoryContract('PostgreSQL', () => openTestPostgresStorage());
