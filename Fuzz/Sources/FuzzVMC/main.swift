import FuzzSupport

/// Any bytes given as a VMC datagram (OSC messages and bundles) decode or throw, whole and split in
/// two datagrams; a decoded pose is in range.
runFuzzer { fuzzCaptureDatagrams(.vmc, $0) }
