"""Blueprints: a group of routes, hooks, handlers and templates registered on an app later.

Registration copies the blueprint's hook and handler registries into the app's, keyed by the
blueprint's (dotted, for nested blueprints) name, exactly as Flask lays them out; the app then
prepares its hook chains from them once, so a blueprint costs nothing extra per request.
"""

from __future__ import annotations

import os
import typing as t
from collections import defaultdict
from functools import update_wrapper

from .scaffold import Scaffold, _endpoint_from_view_func, setupmethod

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
DeferredSetupFunction = t.Callable[["BlueprintSetupState"], None]
_sentinel = object()


class BlueprintSetupState:
    """What a deferred setup function gets: the app and this registration's options."""

    def __init__(
        self,
        blueprint: Blueprint,
        app: Kolba,
        options: t.Any,
        first_registration: bool,
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        #: True the first time this blueprint is registered on this app (``record_once``).
        self.first_registration = first_registration
        subdomain = self.options.get("subdomain")
        if subdomain is None:
            subdomain = self.blueprint.subdomain
        self.subdomain = subdomain
        url_prefix = self.options.get("url_prefix")
        if url_prefix is None:
            url_prefix = self.blueprint.url_prefix
        self.url_prefix = url_prefix
        self.name = self.options.get("name", blueprint.name)
        self.name_prefix = self.options.get("name_prefix", "")
        self.url_defaults = dict(self.blueprint.url_values_defaults)
        self.url_defaults.update(self.options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        **options: t.Any,
    ) -> None:
        """Add a rule to the app, under the blueprint's prefix, subdomain and endpoint name."""
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """A set of routes and handlers to register on an application, once or several times.

    :param name: The blueprint's name; endpoints become ``name.view``.
    :param import_name: Usually ``__name__``; locates the blueprint's folders.
    :param static_folder: A folder of static files served under ``static_url_path``.
    :param static_url_path: The URL of the static folder (default: its name, under the prefix).
    :param template_folder: A folder of templates, searched after the app's.
    :param url_prefix: A path prepended to every route.
    :param subdomain: A subdomain for every route.
    :param url_defaults: Default view arguments for every route.
    :param root_path: The blueprint's folder, when it cannot be found from ``import_name``.
    :param cli_group: The group its ``cli`` commands appear under (default: its name).
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _sentinel,  # type: ignore[assignment]
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults = url_defaults if url_defaults is not None else {}
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once, any"
                " changes will not be applied consistently.\n"
                "Make sure all imports, decorators, functions, etc. needed to set up"
                " the blueprint are done before registering it."
            )

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Run ``func(state)`` whenever the blueprint is registered on an app."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Like :meth:`record`, but only on the first registration on a given app."""

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(update_wrapper(wrapper, func))

    def make_setup_state(
        self, app: Kolba, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest ``blueprint`` in this one: its endpoints become ``this.that.view``."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: Kolba, options: dict[str, t.Any]) -> None:
        """Called by :meth:`Kolba.register_blueprint`: add everything to ``app``.

        :raises ValueError: The name (with any ``name=`` option and parent prefix) is taken.
        """
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            bp_desc = "this" if app.blueprints[name] is self else "a different"
            existing_at = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for"
                f" {bp_desc} blueprint{existing_at}. Use 'name=' to"
                " provide a unique name."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        first_name_registration = name not in app.blueprints
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)

        if self.has_static_folder:
            self._add_static_rule(state)
        if first_bp_registration or first_name_registration:
            self._merge_blueprint_funcs(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_cli(app, options)

        for blueprint, bp_options in self._blueprints:
            bp_options = bp_options.copy()
            bp_url_prefix = bp_options.get("url_prefix")
            bp_subdomain = bp_options.get("subdomain")
            if bp_subdomain is None:
                bp_subdomain = blueprint.subdomain
            if state.subdomain is not None and bp_subdomain is not None:
                bp_options["subdomain"] = bp_subdomain + "." + state.subdomain
            elif bp_subdomain is not None:
                bp_options["subdomain"] = bp_subdomain
            elif state.subdomain is not None:
                bp_options["subdomain"] = state.subdomain
            if bp_url_prefix is None:
                bp_url_prefix = blueprint.url_prefix
            if state.url_prefix is not None and bp_url_prefix is not None:
                bp_options["url_prefix"] = (
                    state.url_prefix.rstrip("/") + "/" + bp_url_prefix.lstrip("/")
                )
            elif bp_url_prefix is not None:
                bp_options["url_prefix"] = bp_url_prefix
            elif state.url_prefix is not None:
                bp_options["url_prefix"] = state.url_prefix
            bp_options["name_prefix"] = name
            blueprint.register(app, bp_options)

    def _register_cli(self, app: Kolba, options: dict[str, t.Any]) -> None:
        # Flask's rules: commands go under a group named after the blueprint (or cli_group);
        # cli_group=None puts them directly on the app's group.
        if "cli" not in self.__dict__ or not self.cli.commands:
            return
        cli_resolved_group = options.get("cli_group", self.cli_group)
        if cli_resolved_group is None:
            app.cli.commands.update(self.cli.commands)
        elif cli_resolved_group is _sentinel:
            self.cli.name = self.name
            app.cli.add_command(self.cli)
        else:
            self.cli.name = cli_resolved_group
            app.cli.add_command(self.cli)

    def _add_static_rule(self, state: BlueprintSetupState) -> None:
        try:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )
        except ValueError:
            # Without a url_prefix the blueprint's static URL is the app's own, which Flask
            # also serves from the app's folder; Kolba refuses the duplicate rule instead of
            # registering one that can never match (see docs/differences.md).
            if state.url_prefix:
                raise

    def _merge_blueprint_funcs(self, app: Kolba, name: str) -> None:
        def extend(
            bp_dict: dict[str | None, list[t.Any]], parent_dict: dict[str | None, list[t.Any]]
        ) -> None:
            for key, values in bp_dict.items():
                key = name if key is None else f"{name}.{key}"
                parent_dict[key].extend(values)

        for key, value in self.error_handler_spec.items():
            key = name if key is None else f"{name}.{key}"
            app.error_handler_spec[key] = defaultdict(
                dict,
                {code: dict(code_values) for code, code_values in value.items()},
            )
        for endpoint, func in self.view_functions.items():
            app.view_functions[endpoint] = func
        extend(self.before_request_funcs, app.before_request_funcs)
        extend(self.after_request_funcs, app.after_request_funcs)
        extend(self.teardown_request_funcs, app.teardown_request_funcs)
        extend(self.url_default_functions, app.url_default_functions)
        extend(self.url_value_preprocessors, app.url_value_preprocessors)
        extend(self.template_context_processors, app.template_context_processors)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Record a rule, added to the app (prefixed and named) when the blueprint registers."""
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func and hasattr(view_func, "__name__") and "." in view_func.__name__:
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.record(
            lambda s: s.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # -- Templates (the Jinja environment is the app's, so these are app-wide) --------------

    def _template_decorator(self, kind: str, name: t.Any) -> t.Any:
        register = getattr(self, f"add_app_template_{kind}")
        if callable(name):
            register(name)
            return name

        def decorator(f: F) -> F:
            register(f, name=name)
            return f

        return decorator

    def _add_to_env(self, kind: str, f: t.Callable[..., t.Any], name: str | None) -> None:
        def register(state: BlueprintSetupState) -> None:
            getattr(state.app.jinja_env, kind)[name or f.__name__] = f

        self.record_once(register)

    @setupmethod
    def app_template_filter(self, name: str | t.Callable[..., t.Any] | None = None) -> t.Any:
        """Register a Jinja filter for the whole app."""
        return self._template_decorator("filter", name)

    @setupmethod
    def add_app_template_filter(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        self._add_to_env("filters", f, name)

    @setupmethod
    def app_template_test(self, name: str | t.Callable[..., bool] | None = None) -> t.Any:
        """Register a Jinja test for the whole app."""
        return self._template_decorator("test", name)

    @setupmethod
    def add_app_template_test(self, f: t.Callable[..., bool], name: str | None = None) -> None:
        self._add_to_env("tests", f, name)

    @setupmethod
    def app_template_global(self, name: str | t.Callable[..., t.Any] | None = None) -> t.Any:
        """Register a Jinja global for the whole app."""
        return self._template_decorator("global", name)

    @setupmethod
    def add_app_template_global(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        self._add_to_env("globals", f, name)

    # Jinja has one environment per app, so a blueprint's filters, tests and globals are the
    # app's too; these names read as Flask 3.2's.
    template_filter = app_template_filter
    add_template_filter = add_app_template_filter
    template_test = app_template_test
    add_template_test = add_app_template_test
    template_global = app_template_global
    add_template_global = add_app_template_global

    # -- App-wide hooks and handlers registered from the blueprint ---------------------------

    def _record_app_hook(self, attr: str, f: t.Callable[..., t.Any]) -> None:
        self.record_once(lambda s: getattr(s.app, attr).setdefault(None, []).append(f))

    @setupmethod
    def before_app_request(self, f: F) -> F:
        """Like :meth:`Kolba.before_request`, for every request of the app."""
        self._record_app_hook("before_request_funcs", f)
        return f

    @setupmethod
    def after_app_request(self, f: F) -> F:
        """Like :meth:`Kolba.after_request`, for every request of the app."""
        self._record_app_hook("after_request_funcs", f)
        return f

    @setupmethod
    def teardown_app_request(self, f: F) -> F:
        """Like :meth:`Kolba.teardown_request`, for every request of the app."""
        self._record_app_hook("teardown_request_funcs", f)
        return f

    @setupmethod
    def app_context_processor(self, f: F) -> F:
        """Like :meth:`Kolba.context_processor`, for every template of the app."""
        self._record_app_hook("template_context_processors", f)
        return f

    @setupmethod
    def app_url_value_preprocessor(self, f: F) -> F:
        """Like :meth:`Kolba.url_value_preprocessor`, for every request of the app."""
        self._record_app_hook("url_value_preprocessors", f)
        return f

    @setupmethod
    def app_url_defaults(self, f: F) -> F:
        """Like :meth:`Kolba.url_defaults`, for every URL the app builds."""
        self._record_app_hook("url_default_functions", f)
        return f

    @setupmethod
    def app_errorhandler(self, code: type[Exception] | int) -> t.Callable[[F], F]:
        """Like :meth:`Kolba.errorhandler`, for errors anywhere in the app."""

        def decorator(f: F) -> F:
            def from_blueprint(state: BlueprintSetupState) -> None:
                state.app.errorhandler(code)(f)

            self.record_once(from_blueprint)
            return f

        return decorator
