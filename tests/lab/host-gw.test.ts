import { scenarioSuite } from './scenarioSuite.js';

scenarioSuite('host-gw');
