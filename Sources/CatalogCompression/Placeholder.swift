import CZlib
public let zlibVersionString = String(cString: zlibVersion())
