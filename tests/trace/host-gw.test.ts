import { groundTruthSuite } from './groundTruth.js';

// The tracer against real packets in the host-gw lab, without faults and with each fault that applies to its CNI.
groundTruthSuite('host-gw');
