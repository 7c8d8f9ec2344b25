import { groundTruthSuite } from './groundTruth.js';

// The tracer against real packets in the nftables lab, without faults and with each fault that applies to its CNI.
groundTruthSuite('nftables');
