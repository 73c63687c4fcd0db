/** A one-off message for one page (the login's merge report, for instance): shown there, gone after. */
export function useNotice() {
  return useState<{ text: string, path: string } | null>('shop-notice', () => null)
}
