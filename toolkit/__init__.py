"""aiotoolkit: an asyncio HTTP/1.1 and WebSocket client and server with aiohttp's API."""

__version__ = "0.1.0"
