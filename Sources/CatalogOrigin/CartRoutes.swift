import CatalogHTTP
import CatalogPostgres
import NIOHTTP1

/// `/store/carts`: create, read, add, change and remove lines, complete.
///
/// Invariants: bodies are validated (400 naming the field) and the variant checked against the
/// catalog (404 `PRODUCT_NOT_FOUND`) before Redis is touched; an unknown or expired cart is 404
/// `not_found`; every answer carries the cart priced from the catalog at that moment.
struct CartRoutes: Sendable {
    let pool: PostgresPool
    let store: CartStore
    let checkout: Checkout

    func handle(_ request: HTTPServerRequest, _ parts: ArraySlice<String>) async throws -> HTTPServerResponse {
        let p = Array(parts)
        switch p.count {
        case 0:
            try Router.allow([.POST], request)
            return try await create(request)
        case 1:
            try Router.allow([.GET, .HEAD], request)
            return try await answer(try await load(p[0]))
        case 2 where p[1] == "line-items":
            try Router.allow([.POST], request)
            return try await addLine(p[0], request)
        case 2 where p[1] == "complete":
            try Router.allow([.POST], request)
            return try await checkout.complete(cartID: p[0], idempotencyKey: request.headers.first(name: "idempotency-key"))
        case 3 where p[1] == "line-items":
            try Router.allow([.POST, .DELETE], request)
            return try await changeLine(p[0], lineID: p[2], request)
        default:
            throw APIError.notFound("no route for \(request.method.rawValue) \(request.path)")
        }
    }

    static func productNotFound(_ ref: String) -> APIError {
        APIError(.notFound, "PRODUCT_NOT_FOUND", "Variant or product \(ref) was not found")
    }

    private func load(_ id: String) async throws -> StoredCart {
        guard let cart = try await store.load(id) else { throw APIError.notFound("Cart id \(id) not found") }
        return cart
    }

    private func answer(_ cart: StoredCart) async throws -> HTTPServerResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Cache-Control", value: "private, no-store")
        return .json(.ok, try await CartPricing.cartJSON(cart, pool: pool), headers: headers)
    }

    private func create(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        var regionID: String?
        if let body = request.body, body.readableBytes > 0 {
            let fields = try RequestBody(body, allowed: ["region_id"])
            regionID = try fields.string("region_id", maxLength: 100).value
        }
        if let regionID, try await pool.query("SELECT 1 FROM region WHERE id = $1", [regionID]).isEmpty {
            throw APIError.invalid("field 'region_id': region \(regionID) does not exist")
        }
        let id = try await store.create(regionID: regionID)
        return try await answer(try await load(id))
    }

    private func addLine(_ id: String, _ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let body = try RequestBody(request.body, allowed: ["variant_id", "quantity"])
        let ref = try body.required(body.string("variant_id", maxLength: 100), "variant_id")
        let quantity = try body.required(body.int("quantity", range: 1...CartStore.maxQuantity), "quantity")
        guard try await CartPricing.exists(ref, pool: pool) else { throw Self.productNotFound(ref) }
        let cart = try await load(id)
        if cart.lines.count >= CartStore.maxLines, !cart.lines.contains(where: { $0.ref == ref }) {
            throw APIError.invalid("a cart holds at most \(CartStore.maxLines) lines")
        }
        _ = try await store.add(id, ref: ref, quantity: quantity)
        return try await answer(try await load(id))
    }

    private func changeLine(_ id: String, lineID: String, _ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        var quantity = 0
        if request.method == .POST {
            let body = try RequestBody(request.body, allowed: ["quantity"])
            quantity = try body.required(body.int("quantity", range: 0...CartStore.maxQuantity), "quantity")
        }
        guard lineID.hasPrefix("cali_"), lineID.count > 5 else { throw APIError.notFound("Line item \(lineID) not found") }
        let ref = String(lineID.dropFirst(5))
        _ = try await load(id)
        guard try await store.hasLine(id, ref: ref) else { throw APIError.notFound("Line item \(lineID) not found") }
        try await store.set(id, ref: ref, quantity: quantity)
        return try await answer(try await load(id))
    }
}
