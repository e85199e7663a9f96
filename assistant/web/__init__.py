"""The browser chat: the page built from the services it is handed, the pure logic behind what it shows
(conversation, render), how it is served, and the stand-ins it runs on while the index is away."""
