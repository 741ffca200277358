import CatalogTestSupport

/// A header lookup over a literal dictionary keyed by lowercased names.
func headers(_ values: [String: String]) -> (String) -> String? {
    { values[$0] }
}
