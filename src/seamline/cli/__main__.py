"""`python -m seamline.cli`, as `python -m seamline` and `seamline`."""

from seamline.cli import main

main()
