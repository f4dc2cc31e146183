"""The bottom layer: what every app of Fullmobs may import, and which imports none of them.

See docs/architecture.md for what belongs here and what never does.
"""
