from chipsmith.cli import run

run()
