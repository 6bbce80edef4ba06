"""The demo data set behind `opora demo`: the top layer, as it writes through every domain.

Kept out of `opora.core`, which the domains build on and which must know none of them.
"""
