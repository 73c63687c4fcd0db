/** The demo catalog: products 1–50, each with two variants (`productId*100+1` and `productId*100+2`). */
export interface Product {
  id: number
  name: string
  /** Price in cents. */
  price: number
  hue: number
  variants: { id: number, label: string }[]
}

const ADJECTIVES = ['Classic', 'Everyday', 'Merino', 'Linen', 'Organic', 'Trail', 'Studio', 'Harbour', 'Alpine', 'Canvas']
const NOUNS = ['Tee', 'Hoodie', 'Chinos', 'Jacket', 'Sneaker']

/** Every product, generated deterministically. */
export const PRODUCTS: Product[] = Array.from({ length: 50 }, (_, i) => {
  const id = i + 1
  return {
    id,
    name: `${ADJECTIVES[i % ADJECTIVES.length]} ${NOUNS[Math.floor(i / ADJECTIVES.length) % NOUNS.length]}`,
    price: 1900 + ((id * 1337) % 9000),
    hue: (id * 47) % 360,
    variants: [{ id: id * 100 + 1, label: 'Regular fit' }, { id: id * 100 + 2, label: 'Relaxed fit' }],
  }
})

/** Looks a product up. */
export function findProduct(id: number): Product | undefined {
  return Number.isInteger(id) && id >= 1 && id <= PRODUCTS.length ? PRODUCTS[id - 1] : undefined
}

/** The product of a variant id, if the variant exists. */
export function findVariant(variantId: number): { product: Product, label: string } | undefined {
  const product = findProduct(Math.floor(variantId / 100))
  const variant = product?.variants.find(v => v.id === variantId)
  return product && variant ? { product, label: variant.label } : undefined
}

/** Formats cents as a price. */
export function formatPrice(cents: number): string {
  return new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' }).format(cents / 100)
}
