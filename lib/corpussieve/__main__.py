from corpussieve.cli import main

raise SystemExit(main())
