import { scenarioSuite } from './scenarioSuite.js';

scenarioSuite('nftables');
