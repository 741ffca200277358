import CatalogOrigin
print("catalog-origin")
