import CatalogCacheProxy
print("catalog-cache")
