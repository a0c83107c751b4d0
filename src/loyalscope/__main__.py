from loyalscope.cli import main

main()
