"""The local chat simulator: platform "sim", in the terminal and on the web."""
