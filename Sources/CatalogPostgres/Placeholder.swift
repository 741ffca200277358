import CLibPQ
public func libpqVersion() -> Int32 { PQlibVersion() }
