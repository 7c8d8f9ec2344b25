import { groundTruthSuite } from './groundTruth.js';

// The tracer against real packets in the calico-routed lab, without faults and with each fault that applies to its CNI.
groundTruthSuite('calico-routed');
