import { scenarioSuite } from './scenarioSuite.js';

scenarioSuite('flannel-vxlan');
