import FuzzSupport

/// Any bytes given as an OpenSeeFace datagram (1785-byte records) decode or throw, whole and split
/// in two datagrams; a decoded pose is in range.
runFuzzer { fuzzCaptureDatagrams(.openSeeFace, $0) }
