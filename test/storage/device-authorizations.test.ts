import { TEST_DIALECT } from '../support/dialect';
import { openTestStorage } from '../support/storage';
import { describeDeviceAuthorizationContract } from './device-authorization-contract';

describeDeviceAuthorizationContract(TEST_DIALECT === 'postgres' ? 'PostgreSQL' : 'SQLite (:memory:)', () => openTestStorage());
