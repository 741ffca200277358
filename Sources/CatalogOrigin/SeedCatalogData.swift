/// Fixed word lists and reference data the seed draws from.
///
/// Invariant: append-only in spirit: changing any list changes every seeded row (and the seed
/// checksum tests pin determinism, not particular values).
enum SeedCatalogData {
    /// A top-level department with its subcategories (some with a third level) and product nouns.
    struct Department {
        let name: String
        let children: [(name: String, grandchildren: [String])]
        let nouns: [String]
        let priceRange: ClosedRange<Int>  // whole currency units
        let variantKind: [String]
    }

    static let sizes = ["XS", "S", "M", "L", "XL"]
    static let shoeSizes = ["38", "39", "40", "41", "42", "43", "44"]
    static let colors = ["Black", "White", "Navy", "Olive", "Sand", "Charcoal", "Rust"]
    static let editions = ["Standard", "Plus", "Pro"]

    static let departments: [Department] = [
        Department(
            name: "Apparel",
            children: [("Shirts", ["Casual Shirts", "Dress Shirts"]), ("Sweaters", []), ("Jackets", ["Rain Jackets", "Down Jackets"]),
                       ("Pants", []), ("Dresses", [])],
            nouns: ["Shirt", "Tee", "Hoodie", "Sweater", "Cardigan", "Jacket", "Parka", "Chinos", "Joggers", "Dress", "Overshirt", "Polo"],
            priceRange: 15...260, variantKind: sizes),
        Department(
            name: "Footwear",
            children: [("Sneakers", []), ("Boots", ["Hiking Boots", "Chelsea Boots"]), ("Sandals", []), ("Slippers", [])],
            nouns: ["Sneaker", "Runner", "Boot", "Loafer", "Sandal", "Slipper", "Trainer", "Clog"],
            priceRange: 25...320, variantKind: shoeSizes),
        Department(
            name: "Home",
            children: [("Kitchen", ["Cookware", "Tableware"]), ("Bedding", []), ("Lighting", []), ("Decor", []), ("Bath", [])],
            nouns: ["Mug", "Skillet", "Bowl", "Duvet Cover", "Pillowcase", "Lamp", "Vase", "Towel", "Throw Blanket", "Candle", "Cutting Board"],
            priceRange: 8...340, variantKind: colors),
        Department(
            name: "Electronics",
            children: [("Audio", ["Headphones", "Speakers"]), ("Accessories", []), ("Wearables", []), ("Chargers", [])],
            nouns: ["Headphones", "Earbuds", "Speaker", "Charger", "Power Bank", "Smartwatch", "Cable", "Keyboard", "Mouse", "Stand"],
            priceRange: 12...480, variantKind: editions),
        Department(
            name: "Outdoors",
            children: [("Camping", ["Tents", "Sleeping Bags"]), ("Backpacks", []), ("Cycling", []), ("Water Sports", [])],
            nouns: ["Tent", "Sleeping Bag", "Backpack", "Water Bottle", "Headlamp", "Bike Light", "Dry Bag", "Camp Chair", "Trekking Poles"],
            priceRange: 10...420, variantKind: colors),
        Department(
            name: "Beauty",
            children: [("Skincare", []), ("Haircare", []), ("Fragrance", [])],
            nouns: ["Serum", "Moisturizer", "Cleanser", "Shampoo", "Conditioner", "Hair Oil", "Eau de Parfum", "Lip Balm"],
            priceRange: 6...140, variantKind: editions),
    ]

    static let adjectives = [
        "Classic", "Modern", "Rustic", "Everyday", "Essential", "Premium", "Vintage", "Minimal", "Heritage", "Urban",
        "Coastal", "Alpine", "Nordic", "Soft", "Lightweight", "Rugged", "Organic", "Recycled", "Studio", "Weekend",
        "Signature", "Compact", "Relaxed", "Tailored", "Bold", "Quiet", "Bright", "Cozy", "Sleek", "Timeless",
    ]

    static let materials = [
        "Cotton", "Linen", "Wool", "Merino", "Cashmere", "Denim", "Leather", "Suede", "Canvas", "Bamboo",
        "Oak", "Walnut", "Ceramic", "Stoneware", "Glass", "Steel", "Aluminum", "Nylon", "Hemp", "Silk",
        "Fleece", "Cork", "Copper", "Marble", "Rattan",
    ]

    static let uses = [
        "everyday wear", "long weekends", "busy mornings", "city commutes", "quiet evenings at home",
        "trail days", "travel", "gifting", "the office", "slow Sundays",
    ]

    static let features = [
        "Designed to last for years with minimal care.",
        "Finished by hand in small batches.",
        "Its clean lines fit any space or wardrobe.",
        "Made with responsibly sourced materials.",
        "Backed by a two-year warranty.",
        "Tested by our team over a full season.",
        "Light enough to take anywhere.",
        "A customer favourite since its first release.",
    ]

    static let care = [
        "Machine wash cold, tumble dry low.",
        "Wipe clean with a damp cloth.",
        "Hand wash only.",
        "Store in a cool, dry place.",
        "No special care required.",
    ]

    static let collections = [
        "Spring Essentials", "Summer Edit", "Autumn Layers", "Winter Warmers", "New Arrivals",
        "Best Sellers", "Staff Picks", "Gift Guide", "Weekend Escape", "Home Refresh",
        "Work From Anywhere", "Trail Ready", "City Commuter", "Sustainable Choice", "Limited Edition",
        "Back to Basics", "Holiday Shop", "Outlet Finds", "Travel Light", "Self Care",
        "Studio Collection", "Heritage Line", "Coastal Living", "Mountain Weekend", "Last Chance",
    ]

    /// (name, currency, ISO-2 countries)
    static let regions: [(String, String, [String])] = [
        ("North America", "usd", ["us", "ca"]),
        ("Europe", "eur", ["de", "fr", "es", "it", "nl", "be", "at"]),
        ("United Kingdom", "gbp", ["gb"]),
        ("Australia & New Zealand", "aud", ["au", "nz"]),
        ("Japan", "jpy", ["jp"]),
    ]

    static let bannerTitles = [
        "Summer Sale: up to 40% off", "New Arrivals Are Here", "Free Shipping Over $75", "The Gift Guide",
        "Trail Ready Gear", "Refresh Your Home", "Members Get Early Access", "Sustainable Choice",
        "Back to Basics", "Weekend Escape", "Limited Edition Drops", "Last Chance Deals",
        "Studio Collection", "Holiday Shop Opens", "Best Sellers Restocked",
    ]
}
