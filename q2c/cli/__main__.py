"""``python -m q2c.cli``: the same as the ``q2c`` script."""

from q2c.cli import main

main()
