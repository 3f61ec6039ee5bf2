"""Compare our recognizer with the released GA2-CLIP code on a parity fixture (code: :mod:`ga2clip_parity.check`)."""
import sys

from ga2clip_parity.check import main

if __name__ == '__main__':
    sys.exit(main())
