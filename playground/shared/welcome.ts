/**
 * The notice shown after a login: a greeting and what came over from the guest basket and wishlist.
 * @param firstName the user's first name
 * @param merge the login's merge report (units added to the basket, products added to the wishlist)
 * @param merge.unitsAdded basket units that came over
 * @param merge.wishlistAdded wishlist products that came over
 * @returns the notice
 */
export function welcomeNotice(firstName: string, merge: { unitsAdded: number, wishlistAdded: number }): string {
  const units = merge.unitsAdded
  const wishlist = merge.wishlistAdded
  const parts = []
  if (units > 0) parts.push(`${units} ${units === 1 ? 'item' : 'items'} from your guest basket ${units === 1 ? 'was' : 'were'} added`)
  if (wishlist > 0) parts.push(`${wishlist} saved ${wishlist === 1 ? 'product was' : 'products were'} added to your wishlist`)
  return `Welcome back, ${firstName}${parts.length > 0 ? `: ${parts.join(', and ')}` : ''}`
}
