"""The sans-IO HTTP/1.1 and WebSocket protocol core: bytes in, events out."""
