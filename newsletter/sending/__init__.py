"""Sending a digest, stage by stage.

- ``rendering``: the digest for one category set, as HTML (Django template, then
  MJML) and plain text, with placeholders where each reader's links go.
- ``recipient``: one reader's complete message (headers, links, inline chart), the
  reference shape every faster path must match.
- ``prototype``: a group's message serialised once, each reader's headers and links
  stamped into the bytes.
- ``ledger``: the Delivery rows (who gets what, claimed once, recorded once) and the
  fan-out that groups readers by category set; ESPs that merge per-reader data get
  batched calls.
- ``file_backend``: the embedded default, one ``.eml`` file per message.
"""
