// GraphiQL on the MIMS read models. The query and its variables are kept in the page's
// URL (?query=...&variables=...), so a query can be bookmarked or sent to a colleague.
const FIRST_QUERY = `# MIMS read models, read-only (writes go through the command API, /docs).
# Ctrl-Enter runs the query; Ctrl-Space completes; the explorer (left) lists every field.
{
  projectionStatus {
    name
    position
    lag
    status
  }
}
`;

const parameters = new URLSearchParams(window.location.search);
const endpoint = window.location.href.split("?")[0].split("#")[0];
// Logged in by the session cookie: a POST carries the CSRF token (the mims_csrf cookie).
const csrf = document.cookie.split("; ").find((c) => c.startsWith("mims_csrf="));
const fetcher = GraphiQL.createFetcher({
  url: endpoint,
  headers: csrf ? { "X-CSRF-Token": decodeURIComponent(csrf.slice("mims_csrf=".length)) } : {},
});
const explorer = GraphiQLPluginExplorer.explorerPlugin();

function keepInUrl(name, value) {
  if (value) {
    parameters.set(name, value);
  } else {
    parameters.delete(name);
  }
  const search = parameters.toString();
  history.replaceState(null, "", search ? `?${search}` : window.location.pathname);
}

function MimsGraphiQL() {
  const [query, setQuery] = React.useState(parameters.get("query") ?? FIRST_QUERY);
  const [variables, setVariables] = React.useState(parameters.get("variables") ?? undefined);
  return React.createElement(GraphiQL, {
    fetcher,
    plugins: [explorer],
    query,
    variables,
    onEditQuery(text) {
      setQuery(text);
      keepInUrl("query", text);
    },
    onEditVariables(text) {
      setVariables(text);
      keepInUrl("variables", text);
    },
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  });
}

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(MimsGraphiQL),
);
