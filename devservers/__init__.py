"""Local stand-ins for the outside world, served on 127.0.0.1: a scriptable feed and
page server, an OpenAI-compatible chat server and an SMTP sink. Tests and benchmarks
both use them; nothing in the product imports them."""
