import CatalogHTTP
import NIOHTTP1

/// Path and method helpers shared by the route groups.
enum Router {
    /// Path segments without empty ones, so `/store/products/` equals `/store/products`.
    static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// Throws 405 `method_not_allowed` unless the request uses one of `methods`.
    static func allow(_ methods: [HTTPMethod], _ request: HTTPServerRequest) throws(APIError) {
        guard methods.contains(request.method) else {
            throw APIError(
                .methodNotAllowed, "method_not_allowed",
                "\(request.method.rawValue) is not allowed on \(request.path); use \(methods.map(\.rawValue).joined(separator: ", "))")
        }
    }
}
