from rolegraph.cli import main

raise SystemExit(main())
