try:
    from .cli import main
except ModuleNotFoundError as e:  # a Python without tokeff's dependencies
    from .errors import missing_dependency

    raise SystemExit(missing_dependency(e)) from None

raise SystemExit(main())
