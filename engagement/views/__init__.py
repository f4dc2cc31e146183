"""The engagement app's pages, one module per audience.

- ``public``: anyone with a campaign's address (its page, joining, the on-site check-in);
- ``participant``: a participant's own pages, through their signed link;
- ``organiser_*``: the organisation's members (its home page, campaigns, pledges on the day,
  participants, programmes);
- ``spaces``: "My spaces" on the public site, every organisation one may enter and its state.

``visitors`` tells who is visiting (the participant's session, draft campaigns hidden);
``documents`` makes the calendar entries and QR codes the pages hand out.
"""
