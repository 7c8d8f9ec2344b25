import { groundTruthSuite } from './groundTruth.js';

// The tracer against real packets in the flannel-vxlan lab, without faults and with each fault that applies to its CNI.
groundTruthSuite('flannel-vxlan');
