"""Where novel accuracy is lost on the synthetic world: clips in their class habitat vs the rest.

Thin script; the code is :mod:`ga2clip_demo.analyze_habitats`.
"""
from ga2clip_demo.analyze_habitats import main

if __name__ == '__main__':
    main()
