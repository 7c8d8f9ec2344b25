import { scenarioSuite } from './scenarioSuite.js';

scenarioSuite('calico-routed');
