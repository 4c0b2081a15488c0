"""Everything that touches the world, plus the composition root (``container.py``).

Edges (HTTP, workers, CLI) import only ``jobraker_adapters.container`` and
``jobraker_adapters.settings``; everything else here is chosen by the container.
"""
