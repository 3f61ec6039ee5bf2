"""Parity harness of ga2clip_mmaction: the released GA2-CLIP reference computation and the check of our recognizer
against the parity fixtures. Not part of the installed method package."""
