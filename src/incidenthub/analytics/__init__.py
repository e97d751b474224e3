"""Response-time analytics: the legs of each incident (intervals.py), the standards they are judged by
(standards.py), and the answers over HTTP (router.py)."""
