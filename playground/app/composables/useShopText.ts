const TEXT = {
  en: {
    lang: 'en', allProducts: 'All products', wishlist: 'Wishlist', basket: 'Basket', signIn: 'Sign in', account: 'Account', unavailable: 'Temporarily unavailable',
    added: 'Added to your basket.', addToBasket: 'Add to basket', notFound: 'This page does not exist.', backHome: 'Back to the shop',
    wrongLogin: 'Wrong email or password.', somethingWrong: 'That did not work. Please try again.',
  },
  de: {
    lang: 'de', allProducts: 'Alle Produkte', wishlist: 'Merkliste', basket: 'Warenkorb', signIn: 'Anmelden', account: 'Konto', unavailable: 'Vorübergehend nicht verfügbar',
    added: 'In den Warenkorb gelegt.', addToBasket: 'In den Warenkorb', notFound: 'Diese Seite gibt es nicht.', backHome: 'Zurück zum Shop',
    wrongLogin: 'E-Mail-Adresse oder Passwort ist falsch.', somethingWrong: 'Das hat nicht geklappt. Bitte versuche es noch einmal.',
  },
}

/** The few words the demo shows in the shop's language: shop 1002 (/de) speaks German. */
export function useShopText() {
  const shopId = useStorefrontShop()
  return computed(() => (shopId.value === '1002' ? TEXT.de : TEXT.en))
}
