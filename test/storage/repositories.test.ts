import { openTestStorage } from '../support/storage';
import { describeRepositoryContract } from './repository-contract';

// One line per adapter: the PostgreSQL one joins here.
describeRepositoryContract('SQLite (:memory:)', () => openTestStorage());
