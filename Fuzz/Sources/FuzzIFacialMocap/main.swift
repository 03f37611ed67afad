import FuzzSupport

/// Any bytes given as an iFacialMocap datagram (v1 or v2 text) decode or throw, whole and split in
/// two datagrams; a decoded pose is in range.
runFuzzer { fuzzCaptureDatagrams(.iFacialMocap, $0) }
