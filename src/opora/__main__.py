from opora.cli import main

main()
