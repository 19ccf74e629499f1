// Users import only Eventide: HTTP types (methods, statuses, headers) and the event loop
// (for embedding) come with it.
@_exported import HTTP1
@_exported import UVLoop
