// The HTTP seam is part of this client's interface: whoever uses the client passes it a transport.
@_exported import HTTPSeam
