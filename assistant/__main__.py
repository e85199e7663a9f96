from assistant.answer.cli import main

raise SystemExit(main())
